// An app that names many Vietnamese bank / e-wallet packages: GoldDigger monitors 51 financial apps
// (Group-IB [S5][S39]); threat brief §5 rows 11-12. The package names below come from public files
// naming the Play apps ([S4], [S29]); where sources disagree (com.VCB / com.vcb, com.mbmobile /
// com.mbbank.mbbank) both spellings are listed. Wallet and payment apps may legitimately list banks.

rule vn_bank_package_list
{
    meta:
        id = "YARA_VN_BANK_TARGET_LIST"
        kinds = "dex elf asset raw manifest"
        dex_scope = "strings"
        severity = "medium"
        title = "Lists many Vietnamese banking app packages"
        title_vi = "Liệt kê nhiều gói ứng dụng ngân hàng Việt Nam"
        description = "One file of the app names at least five Vietnamese banking or e-wallet app packages. Banking trojans (GoldDigger watches 51 financial apps) keep such a target list to know when to overlay, record or control the banking app."
        description_vi = "Một tệp trong ứng dụng nêu tên ít nhất năm gói ứng dụng ngân hàng hoặc ví điện tử Việt Nam. Trojan ngân hàng (GoldDigger theo dõi 51 ứng dụng tài chính) giữ danh sách mục tiêu như vậy để biết lúc nào cần phủ màn hình, ghi hình hoặc điều khiển ứng dụng ngân hàng."
        family = "banking trojan target list (GoldDigger and others)"
        reference = "Group-IB GoldDigger [S5][S39]; package names from https://github.com/GiveMe1Star/fix-notification-xiaomi/blob/83634b03a06481cfb71dd8c1dbaf10f694748092/FIX_NOTIFICATION_XIAOMI.bat [S29] and public GitHub files [S4]"
        derived = "threshold 5 distinct packages"
    strings:
        $vcb   = "com.vcb" nocase fullword
        $vtb   = "com.vietinbank.ipay" fullword
        $bidv  = "com.vnpay.bidv" fullword
        $agri1 = "com.agribank.emobile" fullword
        $agri2 = "com.vnpay.Agribank3g" fullword
        $mb1   = "com.mbmobile" fullword
        $mb2   = "com.mbbank.mbbank" fullword
        $tcb   = "vn.com.techcombank.bb.app" fullword
        $tpb   = "com.tpb.mb.gprsandroid" fullword
        $vib   = "com.vib.myvib" fullword
        $vpb   = "vn.com.vpbank.mobile" fullword
        $shb   = "com.shb.SHBMBanking" fullword
        $vtpay = "com.bplus.vtpay" fullword
        $vnpay = "com.vnpay.app" fullword
        $momo  = "com.mservice.momotransfer" fullword
    condition:
        entry_kind != "entry_names" and 5 of them
}
