// Droppers: an app whose code installs a second APK it carries or downloads. BankBot variants reach
// Vietnamese victims through such staged delivery (DomainTools, threat brief §3.5 [S12]); the APK
// named after a lure (SBV.apk, EVNCPC.apk, vn84app.apk) is itself the payload ([S10][S14]).

rule dropper_installs_bundled_apk
{
    meta:
        id = "YARA_DROPPER_INSTALLS_APK"
        kinds = "dex"
        dex_scope = "strings"
        severity = "high"
        title = "Dropper code: installs an APK it carries or downloads"
        title_vi = "Mã phát tán (dropper): cài đặt một APK mang theo hoặc tải về"
        description = "One DEX file opens an APK file (a string ending in .apk), reads assets or downloads, and hands the result to the package installer (application/vnd.android.package-archive or a PackageInstaller session). Banking-trojan droppers (BankBot variants) stage their payload this way."
        description_vi = "Cùng một tệp DEX mở một tệp APK (chuỗi kết thúc bằng .apk), đọc tài nguyên assets hoặc tải về, rồi chuyển kết quả cho trình cài đặt gói (application/vnd.android.package-archive hoặc phiên PackageInstaller). Các dropper của trojan ngân hàng (biến thể BankBot) phát tán mã độc theo cách này."
        family = "BankBot-style dropper"
        reference = "DomainTools via https://www.dtgcorp.com.vn/news/canh-bao-trojan-ngan-hang-tan-cong-nguoi-dung-android-viet-nam-1947 [S12]"
        derived = "code pattern of a dropper; the sources describe the delivery, not the code"
    strings:
        $mime  = "application/vnd.android.package-archive"
        $sess  = "Landroid/content/pm/PackageInstaller$Session;"
        $act   = "android.intent.action.INSTALL_PACKAGE"
        $apk   = /[A-Za-z0-9_\-\/]{1,64}\.apk\x00/
        $assets = "getAssets"
        $dl    = "Landroid/app/DownloadManager;"
    condition:
        entry_kind == "dex" and ($mime or $sess or $act) and $apk and ($assets or $dl)
}
