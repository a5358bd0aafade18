// OTP / SMS harvesting: every family of the brief intercepts SMS one-time passwords
// (GoldDigger [S5], BankBot variants [S12], VN84App [S14], fake VNeID warnings [S16]; §5 row 3).

rule sms_otp_harvesting
{
    meta:
        id = "YARA_SMS_OTP_HARVESTING"
        kinds = "dex"
        dex_scope = "strings"
        severity = "high"
        title = "Reads incoming SMS, looks for OTP codes and has a network channel"
        title_vi = "Đọc tin nhắn SMS đến, tìm mã OTP và có kênh gửi dữ liệu ra mạng"
        description = "One DEX file reads SMS messages (SMS_RECEIVED broadcast, PDUs or the SMS content provider), extracts message bodies, mentions OTP / verification codes and contains a network client. Fake VNeID and banking trojans steal the one-time passwords banks send by SMS this way."
        description_vi = "Cùng một tệp DEX đọc tin nhắn SMS (sự kiện SMS_RECEIVED, PDU hoặc kho nội dung SMS), lấy nội dung tin nhắn, nhắc tới mã OTP / mã xác thực và có máy khách mạng. VNeID giả mạo và trojan ngân hàng đánh cắp mã OTP ngân hàng gửi qua SMS theo cách này."
        family = "OTP stealer (GoldDigger, BankBot, VN84App, fake VNeID)"
        reference = "Group-IB GoldDigger [S5]; DomainTools BankBot [S12]; Bkav VN84App [S14]; https://en.sggp.org.vn/citizens-warned-of-fake-vneid-application-post108105.html [S16]"
        derived = "co-occurrence threshold"
    strings:
        $sms1 = "android.provider.Telephony.SMS_RECEIVED"
        $sms2 = "createFromPdu"
        $sms3 = "content://sms"
        $body1 = "getMessageBody"
        $body2 = "getDisplayMessageBody"
        $otp1 = /[^A-Za-z](otp|OTP|Otp)[^A-Za-z]/
        $otp2 = "verification code" nocase
        $otp3 = "m\xc3\xa3 x\xc3\xa1c th\xe1\xbb\xb1c" nocase
        $otp4 = "\xe9\xaa\x8c\xe8\xaf\x81\xe7\xa0\x81"
        $net1 = "Lokhttp3/OkHttpClient;"
        $net2 = "Ljava/net/HttpURLConnection;"
        $net3 = "Lokhttp3/WebSocket;"
        $net4 = "Lorg/java_websocket/"
        $net5 = "Lretrofit2/Retrofit;"
    condition:
        entry_kind == "dex" and any of ($sms*) and any of ($body*) and any of ($otp*) and any of ($net*)
}
