//! The HTML report, checked in a real browser (headless Chromium, skipped with a printed reason
//! where it is not installed) and as a file.

mod common;

use common::{skip, Workdir, COUNTRIES};
use std::process::Command;

fn chromium() -> Option<String> {
    ["chromium", "chromium-browser", "google-chrome"].iter().find_map(|name| {
        let ok = Command::new(name).arg("--version").output().map(|o| o.status.success()).unwrap_or(false);
        ok.then(|| name.to_string())
    })
}

fn chromium_run(browser: &str, profile: &std::path::Path, args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new(browser);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]);
    cmd.arg(format!("--user-data-dir={}", profile.display()));
    cmd.args(args);
    cmd.output().unwrap()
}

#[test]
fn the_report_is_self_contained_and_renders_in_a_browser() {
    let w = Workdir::new();
    let mut args = vec!["merge".to_string()];
    args.extend(COUNTRIES.iter().map(|c| format!("fixtures/first48/{c}")));
    args.extend(["--into".into(), "all".into()]);
    w.run(&args.iter().map(String::as_str).collect::<Vec<_>>()).ok();
    w.run(&["--project", "all", "report", "--out", "report.html", "--quotes", "2"]).ok();
    let html = std::fs::read_to_string(w.path("report.html")).unwrap();
    // No network resources: no scripts, stylesheets, images or fonts from elsewhere.
    let without_ns = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    assert!(
        !without_ns.contains("http://") && !without_ns.contains("https://") && !html.contains("<link") && !html.contains("<script"),
        "external resource"
    );

    // The heat map's FR cell for `coping` equals the table command's column percentage.
    let table = w.run(&["--project", "all", "table", "--rows", "code:1", "--cols", "country", "--percent", "col", "--format", "json"]).ok().json();
    let coping_fr = table.as_array().unwrap().iter().find(|r| r["code"] == "coping").unwrap()["FR"].as_str().unwrap().to_string();

    let Some(browser) = chromium() else {
        skip("the browser check: no chromium on this machine (apt-get install chromium)");
        assert!(html.contains(&format!("data-theme=\"coping\" data-country=\"FR\" data-percent=\"{coping_fr}\"")));
        return;
    };
    let url = format!("file://{}", w.path("report.html").display());
    let dom = chromium_run(&browser, &w.path("profile"), &["--dump-dom", &url]);
    assert!(dom.status.success(), "{}", String::from_utf8_lossy(&dom.stderr));
    let dom = String::from_utf8_lossy(&dom.stdout).to_string();
    // The browser parsed the page into the expected elements.
    assert!(dom.contains("<title>all: coding report</title>"), "{dom}");
    assert_eq!(dom.matches("<rect class=\"cell\"").count(), 6 * 4, "6 themes × 4 countries");
    assert!(dom.contains(&format!("data-theme=\"coping\" data-country=\"FR\" data-percent=\"{coping_fr}\"")), "heat map cell");
    assert_eq!(dom.matches("<section class=\"theme\">").count(), 6);
    assert_eq!(dom.matches("<blockquote class=\"quote\"").count(), 12, "--quotes 2 for each of 6 themes");
    assert!(dom.contains("(EPR, F, DE)") || dom.contains("(PR, F, FR)") || dom.contains("(EPR, M, BE)"), "citations");
    assert!(dom.contains("<tr class=\"d3\" data-code=\"challenges/structural/housing\">"), "codebook tree rows");
    // And it renders: a screenshot of a sensible size.
    let shot = w.path("report.png");
    let r = chromium_run(&browser, &w.path("profile2"), &["--window-size=1200,1600", &format!("--screenshot={}", shot.display()), &url]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let png = std::fs::read(&shot).unwrap();
    assert!(png.starts_with(b"\x89PNG") && png.len() > 20_000, "{} bytes", png.len());
}
