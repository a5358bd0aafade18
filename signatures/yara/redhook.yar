// RedHook (Cyble Jul 2025, Bkav Aug 2025): MediaProjection screen capture streamed over a WebSocket C2,
// with Accessibility control (threat brief §3.4 [S9][S10][S54], §5 rows 5-6).

rule redhook_mediaprojection_websocket
{
    meta:
        id = "YARA_REDHOOK_SCREEN_WEBSOCKET"
        kinds = "dex"
        dex_scope = "strings"
        severity = "high"
        title = "Screen capture streamed over a WebSocket with Accessibility control (RedHook pattern)"
        title_vi = "Ghi màn hình truyền qua WebSocket kèm điều khiển bằng Trợ năng (kiểu RedHook)"
        description = "One DEX file uses MediaProjection screen capture, a WebSocket client and an AccessibilityService: the combination RedHook uses to watch and remote-control victims' phones while posing as Vietnamese banks and government bodies (SBV, Sacombank, EVNCPC)."
        description_vi = "Cùng một tệp DEX dùng chức năng ghi màn hình MediaProjection, một máy khách WebSocket và một AccessibilityService: đúng tổ hợp mà RedHook dùng để theo dõi và điều khiển từ xa điện thoại nạn nhân trong khi giả danh ngân hàng và cơ quan nhà nước Việt Nam (NHNN, Sacombank, EVNCPC)."
        family = "RedHook"
        reference = "Cyble RedHook via https://github.com/psocik/ict/blob/defea4cfec2db7fcb24cd48e8a6f926a56d0298b/_posts/2025-07-28-RedHook-A-New-Android-Banking-Trojan-Targeting-Users-in-Vietnam.md [S9]; MediaProjectionManager API [S72]"
        derived = "co-occurrence of the three APIs in one DEX"
    strings:
        $mp1 = "Landroid/media/projection/MediaProjectionManager;"
        $mp2 = "createScreenCaptureIntent"
        $mp3 = "Landroid/media/projection/MediaProjection;"
        $ws1 = "Lokhttp3/WebSocket;"
        $ws2 = "Lokhttp3/WebSocketListener;"
        $ws3 = "Lorg/java_websocket/client/WebSocketClient;"
        $ws4 = /wss?:\/\/[A-Za-z0-9.\-]+/
        $ws5 = "Lio/socket/client/Socket;"
        $acc = "Landroid/accessibilityservice/AccessibilityService;"
    condition:
        entry_kind == "dex" and any of ($mp*) and any of ($ws*) and $acc
}
