// GoldDigger / Gigabud (GoldFactory) static tells, threat brief §3.1, §3.3, §5 rows 8-9.

rule golddigger_goldactivity
{
    meta:
        id = "YARA_GOLDDIGGER_GOLDACTIVITY"
        kinds = "dex manifest"
        dex_scope = "strings"
        severity = "high"
        title = "GoldDigger class GoldActivity"
        title_vi = "Lớp GoldActivity của GoldDigger"
        description = "The code or the manifest names an Activity class GoldActivity, the class that gave the GoldDigger banking trojan (GoldFactory) its name. GoldDigger impersonated the Vietnamese public-service portal and the EVN power company."
        description_vi = "Mã hoặc manifest có lớp Activity tên GoldActivity, lớp đã đặt tên cho trojan ngân hàng GoldDigger (nhóm GoldFactory). GoldDigger từng giả mạo Cổng dịch vụ công và Tập đoàn Điện lực EVN."
        family = "GoldDigger (GoldFactory)"
        reference = "Group-IB, https://www.group-ib.com/blog/golddigger-fraud-matrix [S5]"
    strings:
        $dex = /\/GoldActivity;/
        $mf  = /android:name="[A-Za-z0-9_.$]*GoldActivity"/
    condition:
        (entry_kind == "dex" and $dex) or (entry_kind == "manifest" and $mf)
}

rule goldfactory_libstrategy
{
    meta:
        id = "YARA_GOLDFACTORY_LIBSTRATEGY"
        kinds = "entry_names"
        severity = "high"
        title = "Native library libstrategy.so (GoldDigger / Gigabud)"
        title_vi = "Thư viện gốc libstrategy.so (GoldDigger / Gigabud)"
        description = "The APK ships lib/<abi>/libstrategy.so, the native library shared by GoldDigger and Gigabud that targets UI elements of banking apps."
        description_vi = "APK chứa lib/<abi>/libstrategy.so, thư viện gốc dùng chung giữa GoldDigger và Gigabud để nhắm vào các thành phần giao diện của ứng dụng ngân hàng."
        family = "GoldDigger / Gigabud (GoldFactory)"
        reference = "Cyble via cybernoz, https://cybernoz.com/golddigger-and-gigabud-android-malware-attacking-airlines-customers [S25][S48]"
    strings:
        $a = "/libstrategy.so\n"
    condition:
        entry_kind == "entry_names" and $a
}
