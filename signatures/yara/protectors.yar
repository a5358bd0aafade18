// Virbox Protector: present in all GoldDigger samples (Group-IB [S5]) and used by Gigabud ([S25], [S49]).
// Observables from APKiD's virbox_apk / virbox_elf / jiagu_k rules [S22] and Defender Gigabud.D [S24].

rule virbox_protector_libs
{
    meta:
        id = "YARA_VIRBOX_PROTECTOR_LIBS"
        kinds = "entry_names"
        severity = "high"
        title = "Virbox Protector native libraries (libv++ with libsandhook)"
        title_vi = "Thư viện gốc của Virbox Protector (libv++ cùng libsandhook)"
        description = "The APK ships libv++.so (or libv++_64.so) together with libsandhook.so, the layout of the Virbox Protector packer. Virbox is present in all GoldDigger samples and in Gigabud; a government app distributed outside the store has no reason to be packed with it."
        description_vi = "APK chứa libv++.so (hoặc libv++_64.so) cùng với libsandhook.so, đúng bố cục của trình đóng gói Virbox Protector. Virbox có trong mọi mẫu GoldDigger và trong Gigabud; một ứng dụng nhà nước phát tán ngoài kho ứng dụng không có lý do gì để được đóng gói bằng nó."
        family = "GoldDigger / Gigabud (Virbox Protector)"
        reference = "APKiD virbox_apk, https://github.com/rednaga/APKiD apkid/rules/apk/protectors.yara [S22]; Group-IB GoldDigger [S5]"
    strings:
        $v   = "/libv++.so\n"
        $v64 = "/libv++_64.so\n"
        $s   = "/libsandhook.so\n"
        $sn  = "/libsandhook-native.so\n"
    condition:
        entry_kind == "entry_names" and ($v or $v64) and ($s or $sn)
}

rule virbox_protector_elf
{
    meta:
        id = "YARA_VIRBOX_PROTECTOR_ELF"
        kinds = "elf"
        severity = "high"
        title = "Native library marked \"Virbox Protector\""
        title_vi = "Thư viện gốc mang dấu \"Virbox Protector\""
        description = "A native library contains the string \"Virbox Protector\", the commercial protector found in all GoldDigger samples and in Gigabud."
        description_vi = "Một thư viện gốc chứa chuỗi \"Virbox Protector\", trình bảo vệ thương mại có trong mọi mẫu GoldDigger và trong Gigabud."
        family = "GoldDigger / Gigabud (Virbox Protector)"
        reference = "APKiD virbox_elf, https://github.com/rednaga/APKiD apkid/rules/elf/protectors.yara [S22]"
    strings:
        $a = "Virbox Protector"
    condition:
        entry_kind == "elf" and $a
}

rule virbox_stub_dex
{
    meta:
        id = "YARA_VIRBOX_STUB_DEX"
        kinds = "dex manifest"
        dex_scope = "strings"
        severity = "high"
        title = "Virbox stub class Lvirbox/StubApp; in the DEX code"
        title_vi = "Lớp vỏ Virbox Lvirbox/StubApp; trong mã DEX"
        description = "The DEX code declares or references virbox.StubApp, the loader class of Virbox-packed apps (APKiD jiagu_k; Microsoft Defender Trojan:AndroidOS/Gigabud.D)."
        description_vi = "Mã DEX khai báo hoặc tham chiếu virbox.StubApp, lớp nạp của ứng dụng đóng gói bằng Virbox (APKiD jiagu_k; Microsoft Defender Trojan:AndroidOS/Gigabud.D)."
        family = "Gigabud (Virbox Protector)"
        reference = "APKiD jiagu_k, https://github.com/rednaga/APKiD apkid/rules/dex/packers.yara [S22]; roadwy/DefenderYara Trojan/AndroidOS/Gigabud [S24]"
    strings:
        $a = "Lvirbox/StubApp;"
        $b = "\"virbox.StubApp\""
    condition:
        (entry_kind == "dex" and $a) or (entry_kind == "manifest" and $b)
}
