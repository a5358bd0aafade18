// Common commercial packers, recognised by the native libraries / stub files they add to an APK.
// File names from APKiD's APK packer rules (https://github.com/rednaga/APKiD apkid/rules/apk/packers.yara).
// Threat brief §5 row 7 [derived]: a packer on a "government app" APK from a website is a signal;
// packers are also used by legitimate apps, hence "medium".

rule packer_jiagu
{
    meta:
        id = "YARA_PACKER_JIAGU"
        kinds = "entry_names"
        severity = "medium"
        title = "Packed with Qihoo 360 Jiagu"
        title_vi = "Được đóng gói bằng Qihoo 360 Jiagu"
        description = "The APK carries libjiagu.so / libjiagu_art.so, the loader of the 360 Jiagu packer, which encrypts the real code so that it cannot be read statically."
        description_vi = "APK chứa libjiagu.so / libjiagu_art.so, trình nạp của bộ đóng gói 360 Jiagu, vốn mã hóa mã thật để không thể đọc được bằng phân tích tĩnh."
        family = "packer: Jiagu"
        reference = "APKiD rule jiagu, https://github.com/rednaga/APKiD apkid/rules/apk/packers.yara"
    strings:
        $a = "/libjiagu.so\n"
        $b = "/libjiagu_art.so\n"
        $c = "/libjiagu_x86.so\n"
        $d = "/libjiagu_a64.so\n"
    condition:
        entry_kind == "entry_names" and any of them
}

rule packer_bangcle
{
    meta:
        id = "YARA_PACKER_BANGCLE"
        kinds = "entry_names"
        severity = "medium"
        title = "Packed with Bangcle (SecNeo) protection"
        title_vi = "Được đóng gói bằng Bangcle (SecNeo)"
        description = "The APK carries the Bangcle / SecNeo loader libraries or encrypted class containers (libsecexe.so, libsecmain.so, libDexHelper.so, assets/classes0.jar)."
        description_vi = "APK chứa thư viện nạp hoặc gói lớp đã mã hóa của Bangcle / SecNeo (libsecexe.so, libsecmain.so, libDexHelper.so, assets/classes0.jar)."
        family = "packer: Bangcle / SecNeo"
        reference = "APKiD rules bangcle, secneo, https://github.com/rednaga/APKiD apkid/rules/apk/packers.yara"
    strings:
        $a = "/libsecexe.so\n"
        $b = "/libsecmain.so\n"
        $c = "/libDexHelper.so\n"
        $d = "/libDexHelper-x86.so\n"
        $e = "\nassets/classes0.jar\n"
        $f = "\nassets/bangcleplugin/container.dex\n"
    condition:
        entry_kind == "entry_names" and any of them
}

rule packer_ijiami
{
    meta:
        id = "YARA_PACKER_IJIAMI"
        kinds = "entry_names"
        severity = "medium"
        title = "Packed with Ijiami"
        title_vi = "Được đóng gói bằng Ijiami"
        description = "The APK carries Ijiami packer files (assets/ijiami.dat, ijiami.ajm or assets/ijm_lib/)."
        description_vi = "APK chứa các tệp của bộ đóng gói Ijiami (assets/ijiami.dat, ijiami.ajm hoặc assets/ijm_lib/)."
        family = "packer: Ijiami"
        reference = "APKiD rule ijiami, https://github.com/rednaga/APKiD apkid/rules/apk/packers.yara"
    strings:
        $a = "\nassets/ijiami.dat\n"
        $b = "ijiami.ajm\n"
        $c = "\nassets/ijm_lib/"
    condition:
        entry_kind == "entry_names" and any of them
}

rule packer_tencent_legu
{
    meta:
        id = "YARA_PACKER_TENCENT"
        kinds = "entry_names dex"
        dex_scope = "strings"
        severity = "medium"
        title = "Packed with Tencent protection"
        title_vi = "Được đóng gói bằng bộ bảo vệ của Tencent"
        description = "The APK carries the Tencent packer loader (libshell.so / libmobisecy.so, or the stub class com.tencent.StubShell)."
        description_vi = "APK chứa trình nạp của bộ đóng gói Tencent (libshell.so / libmobisecy.so, hoặc lớp vỏ com.tencent.StubShell)."
        family = "packer: Tencent"
        reference = "APKiD rule tencent, https://github.com/rednaga/APKiD apkid/rules/apk/packers.yara"
    strings:
        $a = "\nlib/armeabi/libshell.so\n"
        $b = "\nlib/armeabi/libmobisecy.so\n"
        $c = "Lcom/tencent/StubShell/"
    condition:
        (entry_kind == "entry_names" and ($a or $b)) or (entry_kind == "dex" and $c)
}

rule packer_baidu_alibaba
{
    meta:
        id = "YARA_PACKER_BAIDU_ALIBABA"
        kinds = "entry_names"
        severity = "medium"
        title = "Packed with Baidu or Alibaba protection"
        title_vi = "Được đóng gói bằng bộ bảo vệ của Baidu hoặc Alibaba"
        description = "The APK carries libbaiduprotect.so / baiduprotect1.jar (Baidu) or libmobisec.so (Alibaba), loaders of commercial packers that hide the real code."
        description_vi = "APK chứa libbaiduprotect.so / baiduprotect1.jar (Baidu) hoặc libmobisec.so (Alibaba), là trình nạp của các bộ đóng gói thương mại che giấu mã thật."
        family = "packer: Baidu / Alibaba"
        reference = "APKiD rules baidu, alibaba, https://github.com/rednaga/APKiD apkid/rules/apk/packers.yara"
    strings:
        $a = "/libbaiduprotect.so\n"
        $b = "/baiduprotect1.jar\n"
        $c = "/libmobisec.so\n"
    condition:
        entry_kind == "entry_names" and any of them
}

rule packer_apkprotect_dexprotector
{
    meta:
        id = "YARA_PACKER_DEXPROTECTOR"
        kinds = "entry_names"
        severity = "medium"
        title = "Packed with DexProtector or APKProtect"
        title_vi = "Được đóng gói bằng DexProtector hoặc APKProtect"
        description = "The APK carries encrypted-code containers of DexProtector (assets/dp.*.so.dat with assets/dp.mp3) or the APKProtect library."
        description_vi = "APK chứa gói mã đã mã hóa của DexProtector (assets/dp.*.so.dat cùng assets/dp.mp3) hoặc thư viện APKProtect."
        family = "packer: DexProtector / APKProtect"
        reference = "APKiD rules dexprotector, apkprotect, https://github.com/rednaga/APKiD apkid/rules/apk/packers.yara"
    strings:
        $dp1 = /\nassets\/dp\.(arm|arm-v7|arm-v8|x86|x86_64)\.so\.dat\n/
        $dp2 = "\nassets/dp.mp3\n"
        $ap  = "/libAPKProtect.so\n"
    condition:
        entry_kind == "entry_names" and (($dp1 and $dp2) or $ap)
}
