//! What a WeChat errcode means for a merchant (PROTOCOL.md §8), in plain words, and
//! whether waiting can fix it.

use crate::error::Localized;

/// A plain explanation of `errcode` for the merchant, in both languages.
pub fn merchant_message(errcode: i64) -> Localized {
    let (zh, en) = match errcode {
        -1 => (
            "微信系统繁忙，稍后会自动重试。",
            "WeChat is busy; it will be retried automatically.",
        ),
        40001 | 40014 | 42001 => (
            "微信凭证刷新后仍被拒绝，请稍后再试。",
            "WeChat refused the credential even after a refresh; try again shortly.",
        ),
        40013 => (
            "小程序 AppID 无效。",
            "The mini-program's appid is invalid.",
        ),
        40164 | 61004 => (
            "服务器 IP 未加入微信白名单，请联系平台。",
            "Our server's IP is not on WeChat's whitelist; contact the agency.",
        ),
        41001 => ("缺少微信凭证。", "The WeChat credential is missing."),
        42002 | 61023 => (
            "小程序授权已失效，请重新授权。",
            "The mini-program's authorization is no longer valid; authorize it again.",
        ),
        43104 | 48001 => (
            "该小程序没有此接口权限。",
            "The mini-program lacks permission for this API.",
        ),
        44002 | 47001 => (
            "请求格式错误（平台问题），请联系平台。",
            "The request was malformed (our side); contact the agency.",
        ),
        45009 => (
            "今日微信接口调用次数已用完，明天再试。",
            "Today's WeChat API quota is used up; try again tomorrow.",
        ),
        45011 | 9402202 | 85090 => (
            "操作太频繁，稍后会自动重试。",
            "Too frequent; it will be retried later.",
        ),
        61003 => (
            "小程序未授权给平台，请重新授权。",
            "The mini-program is not authorized to the platform; authorize it again.",
        ),
        61005 | 61006 => (
            "平台凭证暂不可用，请稍后再试。",
            "The platform credential is not available yet; try again later.",
        ),
        61007 => (
            "授权时未勾选「开发管理」权限，请重新授权并勾选。",
            "Code management was not granted at authorization; authorize again with it.",
        ),
        61009 | 61010 => (
            "授权码无效或已过期，请重新授权。",
            "The authorization code is invalid or expired; authorize again.",
        ),
        61011 => (
            "第三方平台无效，请联系平台。",
            "The third-party platform is invalid; contact the agency.",
        ),
        61039 => (
            "微信正在检查代码隐私接口，稍后继续。",
            "WeChat is still scanning the code's privacy APIs; continuing shortly.",
        ),
        61040 => (
            "代码使用了未声明的隐私接口，请联系平台。",
            "The code uses undeclared privacy APIs; contact the agency.",
        ),
        85001..=85004 => ("体验者设置有误。", "The tester setting is wrong."),
        85006 => (
            "审核页面的标签格式不对。",
            "The audit page tags are malformed.",
        ),
        85007 => ("审核页面路径不对。", "The audit page path is wrong."),
        85008 | 85077 => (
            "小程序的服务类目无效或已下架，请在微信公众平台补充类目。",
            "The mini-program's category is invalid or delisted; add a valid category in the WeChat console.",
        ),
        85009 => (
            "已有版本正在审核中，请等待结果或撤回后再提交。",
            "A version is already under audit; wait for it or withdraw it first.",
        ),
        85010 | 85023 => ("审核页面数量不对。", "The number of audit pages is wrong."),
        85011 => ("审核页面标题不对。", "The audit page title is wrong."),
        85012 => ("审核单号无效。", "The audit id is invalid."),
        85013 | 85043..=85048 | 9402203 => (
            "代码模板或其配置有误，请联系平台。",
            "The code template or its configuration is wrong; contact the agency.",
        ),
        85014 | 85064 => (
            "代码模板不存在，请联系平台。",
            "The code template does not exist; contact the agency.",
        ),
        85015 => ("该账号不是小程序。", "The account is not a mini-program."),
        85016..=85018 | 89019..=89021 | 89231 => (
            "服务器域名设置有误，请联系平台。",
            "The server domain setting is wrong; contact the agency.",
        ),
        85019 => (
            "没有审核中或已通过的版本。",
            "There is no version under audit or approved.",
        ),
        85020 => (
            "当前审核状态不能发布。",
            "The current audit state does not allow a release.",
        ),
        85052 => ("该版本已发布。", "This version is already released."),
        85058 => ("没有有效的审核记录。", "There is no valid audit."),
        85065 => (
            "模板库已满，请联系平台。",
            "The template library is full; contact the agency.",
        ),
        85079 => (
            "还没有线上版本，不能灰度发布。",
            "There is no online version; gray release is not possible.",
        ),
        85080 => (
            "审核尚未通过，不能灰度发布。",
            "The audit has not passed; gray release is not possible.",
        ),
        85081 => (
            "灰度比例无效（1–100）。",
            "The gray percentage is invalid (1–100).",
        ),
        85082 => (
            "灰度比例只能调高。",
            "The gray percentage can only increase.",
        ),
        85085 => (
            "本月提交审核次数已用完，下月再试。",
            "This month's audit submissions are used up; try again next month.",
        ),
        85086 => (
            "请先上传代码再提交审核。",
            "Upload the code before submitting it for audit.",
        ),
        85087 => (
            "小程序跳转的 AppID 未声明，请联系平台。",
            "Mini-program jump targets are undeclared; contact the agency.",
        ),
        85092..=85094 => (
            "审核补充信息不完整，请联系平台。",
            "The audit's supplementary information is incomplete; contact the agency.",
        ),
        86000 | 86001 => (
            "平台尚未为该小程序上传代码。",
            "The platform has not uploaded code for this mini-program.",
        ),
        86002 => (
            "小程序名称、头像或简介未设置，请在微信公众平台完善后再提交。",
            "The mini-program's name, avatar or introduction is missing; complete them in the WeChat console.",
        ),
        86007..=86010 => (
            "微信暂时禁止提交审核，请联系平台。",
            "WeChat currently forbids submitting for audit; contact the agency.",
        ),
        87011 => (
            "灰度发布中，不能回退。",
            "A gray release is in progress; it cannot be rolled back.",
        ),
        87012 => ("没有可回退的版本。", "There is no version to roll back to."),
        87013 => (
            "撤回审核次数已达上限（每天 5 次、每月 10 次）。",
            "The withdrawal limit is reached (5 a day, 10 a month).",
        ),
        89401 => (
            "微信系统不稳定，稍后重试。",
            "WeChat is unstable; try again later.",
        ),
        _ => (
            "微信返回了错误，请联系平台。",
            "WeChat returned an error; contact the agency.",
        ),
    };
    Localized::new(zh, en)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_in_the_protocol_table_has_its_own_words() {
        let generic = merchant_message(123_456).en;
        for code in [
            -1, 40001, 40013, 40014, 40164, 41001, 42001, 42002, 43104, 44002, 45009, 45011, 47001,
            48001, 61003, 61004, 61005, 61006, 61007, 61009, 61010, 61011, 61023, 61039, 61040,
            85001, 85004, 85006, 85007, 85008, 85009, 85010, 85011, 85012, 85013, 85014, 85015,
            85016, 85018, 85019, 85020, 85023, 85043, 85048, 85052, 85058, 85064, 85065, 85077,
            85079, 85080, 85081, 85082, 85085, 85086, 85087, 85090, 85092, 85094, 86000, 86001,
            86002, 86007, 86010, 87011, 87012, 87013, 89019, 89021, 89231, 89401, 9402202, 9402203,
        ] {
            assert_ne!(merchant_message(code).en, generic, "errcode {code}");
        }
    }
}

/// WeChat's audit reason as plain text: reviewers write HTML fragments (`<br>` between
/// points, sometimes links and entities); people get lines of text.
pub fn audit_reason_text(raw: &str) -> String {
    let mut text = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(start) = rest.find('<') {
        text.push_str(&rest[..start]);
        let Some(len) = rest[start..].find('>') else {
            text.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let tag = rest[start + 1..start + len]
            .trim_start_matches('/')
            .trim()
            .to_ascii_lowercase();
        let name: String = tag
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        if matches!(name.as_str(), "br" | "p" | "div" | "li" | "tr") {
            text.push('\n');
        }
        rest = &rest[start + len + 1..];
    }
    text.push_str(rest);
    let decoded = text
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    decoded
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod reason_tests {
    use super::audit_reason_text;

    #[test]
    fn audit_reasons_become_lines_of_text() {
        assert_eq!(
            audit_reason_text(
                "1:小程序名称与内容不符<br>2:请补充&lt;隐私协议&gt;&amp;说明<br/><a href=\"https://x\">查看</a><br />"
            ),
            "1:小程序名称与内容不符\n2:请补充<隐私协议>&说明\n查看"
        );
        assert_eq!(audit_reason_text("plain"), "plain");
        assert_eq!(audit_reason_text("a < b"), "a < b");
        assert_eq!(audit_reason_text("<p>x</p><p></p>"), "x");
    }
}
