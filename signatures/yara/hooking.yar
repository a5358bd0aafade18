// Hooking frameworks inside an app. GoldFactory (late 2024 - 2025) trojanised genuine banking apps
// by injecting Frida, Dobby and Pine hooks (threat brief §3.6 [S51][S52], §5 row 16). The brief's
// sources give no file names; the markers below are the frameworks' own public names: Frida Gadget
// (https://frida.re/docs/gadget/), Dobby (https://github.com/jmpews/Dobby, exported DobbyHook),
// Pine (https://github.com/canyie/pine, Java package top.canyie.pine, libpine.so).

rule hooking_framework_embedded
{
    meta:
        id = "YARA_HOOKING_FRAMEWORK"
        kinds = "entry_names elf dex"
        dex_scope = "strings"
        severity = "medium"
        title = "Embedded hooking framework (Frida Gadget, Dobby or Pine)"
        title_vi = "Có nhúng bộ khung can thiệp mã (Frida Gadget, Dobby hoặc Pine)"
        description = "The app carries a runtime hooking framework (Frida Gadget, Dobby or Pine). Such frameworks rewrite other code at run time; GoldFactory injected them into repackaged banking apps."
        description_vi = "Ứng dụng mang theo một bộ khung can thiệp mã lúc chạy (Frida Gadget, Dobby hoặc Pine). Các bộ khung này sửa đổi mã khác khi ứng dụng chạy; nhóm GoldFactory đã cài chúng vào các ứng dụng ngân hàng bị đóng gói lại."
        family = "GoldFactory repackaged apps (SkyHook, FriHook, PineHook)"
        reference = "GoldFactory: https://cybersecurity88.com/news/goldfactory-hits-southeast-asia-with-modified-banking-apps-leading-to-11000-infections [S51], [S52]; framework names: https://frida.re/docs/gadget/, https://github.com/jmpews/Dobby, https://github.com/canyie/pine"
    strings:
        $n1 = "/libfrida-gadget.so\n"
        $n2 = "/libdobby.so\n"
        $n3 = "/libpine.so\n"
        $e1 = "frida_agent_main"
        $e2 = "gum-js-loop"
        $e3 = "FridaGadget"
        $e4 = "DobbyHook"
        $e5 = "DobbyInstrument"
        $d1 = "Ltop/canyie/pine/Pine;"
    condition:
        (entry_kind == "entry_names" and any of ($n*)) or
        (entry_kind == "elf" and any of ($e*)) or
        (entry_kind == "dex" and $d1)
}

rule hooking_framework_in_banking_app
{
    meta:
        id = "YARA_HOOKING_IN_BANKING_APP"
        kinds = "entry_names elf dex"
        dex_scope = "strings"
        severity = "critical"
        title = "Hooking framework inside a Vietnamese banking app"
        title_vi = "Bộ khung can thiệp mã nằm trong ứng dụng ngân hàng Việt Nam"
        description = "The package name is that of a Vietnamese banking app, yet the APK carries Frida Gadget, Dobby or Pine. Banks do not ship these; GoldFactory repackaged genuine banking apps with them to steal credentials and spoof the app's signature."
        description_vi = "Tên gói là của một ứng dụng ngân hàng Việt Nam, nhưng APK lại mang Frida Gadget, Dobby hoặc Pine. Ngân hàng không phát hành các bộ khung này; nhóm GoldFactory đã đóng gói lại ứng dụng ngân hàng thật cùng chúng để đánh cắp thông tin đăng nhập và giả mạo chữ ký ứng dụng."
        family = "GoldFactory repackaged apps (SkyHook, FriHook, PineHook)"
        reference = "[S51][S52]; bank packages as in vn_banks.yar ([S4][S29])"
        derived = "bank package list"
    strings:
        $n1 = "/libfrida-gadget.so\n"
        $n2 = "/libdobby.so\n"
        $n3 = "/libpine.so\n"
        $e1 = "frida_agent_main"
        $e2 = "gum-js-loop"
        $e3 = "FridaGadget"
        $e4 = "DobbyHook"
        $e5 = "DobbyInstrument"
        $d1 = "Ltop/canyie/pine/Pine;"
    condition:
        package matches /^(com\.vcb|com\.vietinbank\.ipay|com\.vnpay\.bidv|com\.agribank\.emobile|com\.vnpay\.agribank3g|com\.mbmobile|com\.mbbank\.mbbank|vn\.com\.techcombank\.bb\.app|com\.tpb\.mb\.gprsandroid|com\.vib\.myvib|vn\.com\.vpbank\.mobile|com\.shb\.shbmbanking)$/i and
        ((entry_kind == "entry_names" and any of ($n*)) or
         (entry_kind == "elf" and any of ($e*)) or
         (entry_kind == "dex" and $d1))
}
