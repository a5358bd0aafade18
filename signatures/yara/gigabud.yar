// Gigabud DEX strings, from the Microsoft Defender detections converted in roadwy/DefenderYara
// (threat brief §3.3 [S24]). The "N of them" thresholds are ours [derived]: the published strings,
// not Defender's internal weights.

rule gigabud_a
{
    meta:
        id = "YARA_GIGABUD_A"
        kinds = "dex"
        dex_scope = "strings"
        severity = "critical"
        title = "Gigabud banking trojan code (Defender Gigabud.A strings)"
        title_vi = "Mã trojan ngân hàng Gigabud (chuỗi Gigabud.A của Defender)"
        description = "The DEX code contains several strings of Microsoft Defender's Trojan:AndroidOS/Gigabud.A detection (fake safe-password screens, an accessibility controller, bank overlays). Gigabud impersonates Vietnamese government agencies."
        description_vi = "Mã DEX chứa nhiều chuỗi thuộc nhận diện Trojan:AndroidOS/Gigabud.A của Microsoft Defender (màn hình mật khẩu an toàn giả, bộ điều khiển trợ năng, lớp phủ ngân hàng). Gigabud giả mạo các cơ quan nhà nước Việt Nam."
        family = "Gigabud"
        reference = "roadwy/DefenderYara @95d7a68c Trojan/AndroidOS/Gigabud [S24]"
        derived = "threshold 3 of 6"
    strings:
        $ = "SettingSafePwdActivity"
        $ = "WaitCheckActivity"
        $ = "queryPermissionStatusAndStartNextQuery"
        $ = "isHaveSendMsg"
        $ = "controller/TouchAccessibilityService"
        $ = "ShowBankDF"
    condition:
        entry_kind == "dex" and 3 of them
}

rule gigabud_screen_upload
{
    meta:
        id = "YARA_GIGABUD_SCREEN_UPLOAD"
        kinds = "dex"
        dex_scope = "strings"
        severity = "critical"
        title = "Gigabud screen-recording upload code (Defender Gigabud.C/D strings)"
        title_vi = "Mã tải lên bản ghi màn hình của Gigabud (chuỗi Gigabud.C/D của Defender)"
        description = "The DEX code contains the screen-recording and upload strings of Defender's Gigabud.C and Gigabud.D detections (startUploadScreenRecord, startRecordAndUpload, onScreenDataEncoded, x/user-bank-pwd...). Gigabud records the screen instead of drawing overlays."
        description_vi = "Mã DEX chứa các chuỗi ghi và tải lên màn hình thuộc nhận diện Gigabud.C và Gigabud.D của Defender (startUploadScreenRecord, startRecordAndUpload, onScreenDataEncoded, x/user-bank-pwd...). Gigabud ghi lại màn hình thay vì vẽ lớp phủ."
        family = "Gigabud"
        reference = "roadwy/DefenderYara @95d7a68c Trojan/AndroidOS/Gigabud [S24]"
        derived = "threshold 3 of 8"
    strings:
        $ = "writeVideoUrl"
        $ = "x/user-bank-pwd"
        $ = "startUploadScreenRecord"
        $ = "isHaveAccessibility"
        $ = "MESSAGE_START_UPLOAD"
        $ = "startRecordAndUpload"
        $ = "onScreenDataEncoded"
        $ = "whopenurl:"
    condition:
        entry_kind == "dex" and 3 of them
}

rule gigabud_virbox_obfuscated
{
    meta:
        id = "YARA_GIGABUD_D_STUB"
        kinds = "dex"
        dex_scope = "strings"
        severity = "critical"
        title = "Gigabud Virbox stub (Defender Gigabud.D strings)"
        title_vi = "Vỏ Virbox của Gigabud (chuỗi Gigabud.D của Defender)"
        description = "The DEX code contains the Virbox stub class together with the obfuscated names listed by Defender's Trojan:AndroidOS/Gigabud.D detection."
        description_vi = "Mã DEX chứa lớp vỏ Virbox cùng với các tên đã làm rối được liệt kê trong nhận diện Trojan:AndroidOS/Gigabud.D của Defender."
        family = "Gigabud"
        reference = "roadwy/DefenderYara @95d7a68c Trojan/AndroidOS/Gigabud [S24]"
        derived = "threshold 2 of 3"
    strings:
        $ = "Lvirbox/StubApp"
        $ = "l0df2aae4$jntm"
        $ = "I676efb5b_03"
    condition:
        entry_kind == "dex" and 2 of them
}

rule gigabud_spy_bankcard
{
    meta:
        id = "YARA_GIGABUD_BANKCARD"
        kinds = "dex"
        dex_scope = "strings"
        severity = "critical"
        title = "Gigabud bank-card theft code (Defender Gigabud MTB / GigaBudRAT strings)"
        title_vi = "Mã đánh cắp thẻ ngân hàng của Gigabud (chuỗi Gigabud MTB / GigaBudRAT của Defender)"
        description = "The DEX code contains the bank-card and accessibility strings of Defender's TrojanSpy:AndroidOS/Gigabud.A!MTB, Gigabud.K!MTB and GigaBudRAT.A!MTB detections (BankCardInfo(bankCardNum=, getBankCardNum, com/yk/accessibility, SendMsgInfo...)."
        description_vi = "Mã DEX chứa các chuỗi về thẻ ngân hàng và trợ năng thuộc nhận diện TrojanSpy:AndroidOS/Gigabud.A!MTB, Gigabud.K!MTB và GigaBudRAT.A!MTB của Defender (BankCardInfo(bankCardNum=, getBankCardNum, com/yk/accessibility, SendMsgInfo...)."
        family = "Gigabud"
        reference = "roadwy/DefenderYara @95d7a68c TrojanSpy/AndroidOS/Gigabud, TrojanSpy/AndroidOS/GigaBudRAT [S24]"
        derived = "threshold 3 of 9"
    strings:
        $ = "BankCardInfo(bankCardNum="
        $ = "com/yk/accessibility"
        $ = "getBankCardNum"
        $ = "TouchAccessibilityService"
        $ = "isXfPermissionOpen"
        $ = "bankImg"
        $ = "SendMsgInfo"
        $ = "onReceiverCommendaction"
        $ = "execute command"
    condition:
        entry_kind == "dex" and 3 of them
}
