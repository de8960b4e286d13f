/**
 * The dashboard stylesheet, served from /dashboard/assets/dashboard.css.
 * System fonts (no downloads), WCAG AA contrast, visible focus, and one
 * column below 720 px. Page modules append their own rules.
 */
export const BASE_CSS = `
:root{--fg:#1b1f24;--muted:#57606a;--bg:#f6f7f9;--card:#fff;--line:#d0d7de;--accent:#0a5bd3;--accent-fg:#fff;
--ok:#116329;--ok-bg:#dafbe1;--bad:#a40e26;--bad-bg:#ffebe9;--wait:#7d4e00;--wait-bg:#fff8c5;--info-bg:#ddf4ff;
font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;
color:var(--fg);background:var(--bg);line-height:1.45}
*{box-sizing:border-box}body{margin:0}
a{color:var(--accent)}a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,summary:focus-visible{outline:3px solid #0969da;outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:var(--card);padding:.5rem}.skip:focus{left:.5rem;z-index:2}
.top{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1.5rem;padding:.6rem 1.25rem;background:#0d1b2a;color:#fff}
.top a{color:#fff}.brand{font-weight:700;font-size:1.15rem;text-decoration:none;color:inherit}
.top nav ul{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;margin:0;padding:0}
.top nav a{text-decoration:none;padding:.25rem 0;border-bottom:2px solid transparent}.top nav a[aria-current=page]{border-color:#7cc4ff;font-weight:600}
.who{margin-left:auto;display:flex;flex-wrap:wrap;align-items:center;gap:.25rem .9rem;font-size:.9rem}.who form{margin:0}
.top .link{color:#fff}
.mode-toggle{display:flex;margin:0;border:1px solid #7cc4ff;border-radius:6px;overflow:hidden}
.mode-toggle button{border:0;border-radius:0;padding:.2rem .8rem;background:transparent;color:#fff;font-size:.9rem}
.mode-toggle button[aria-pressed=true].mode-test{background:#ffd33d;color:#1b1f24}.mode-toggle button[aria-pressed=true].mode-live{background:#1a7f37;color:#fff}
.test-banner{margin:0;padding:.45rem 1.25rem;background:#ffd33d;color:#1b1f24;border-bottom:1px solid #bf8700;font-size:.95rem}
button.link{background:none;border:0;padding:0;font:inherit;text-decoration:underline;cursor:pointer;color:var(--accent)}
main{max-width:1200px;margin:0 auto;padding:1rem 1.25rem 3rem}main.narrow{max-width:26rem;padding-top:3rem}
h1{font-size:1.5rem;margin:.5rem 0 1rem}h2{font-size:1.15rem;margin:1.75rem 0 .6rem}
.bare-head{display:flex;justify-content:space-between;align-items:center}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:1rem 1.25rem;margin:0 0 1rem}
.notice{padding:.6rem .9rem;border-radius:6px;margin:0 0 1rem;border:1px solid var(--line)}
.notice-ok{background:var(--ok-bg);color:var(--ok)}.notice-error{background:var(--bad-bg);color:var(--bad)}.notice-info{background:var(--info-bg)}
.badge{display:inline-block;padding:.05rem .5rem;border-radius:999px;font-size:.85rem;font-weight:600;white-space:nowrap}
.badge-attention{background:var(--bad-bg);color:var(--bad);border:1px solid currentColor}
.badge-succeeded{background:var(--ok-bg);color:var(--ok)}.badge-failed{background:var(--bad-bg);color:var(--bad)}.badge-pending{background:var(--wait-bg);color:var(--wait)}.badge-refunded,.badge-partlyRefunded{background:var(--wait-bg);color:var(--wait)}
label{display:block;font-weight:600;margin:.6rem 0 .2rem}.hint{color:var(--muted);font-size:.9rem;font-weight:400}
input[type=text],input[type=email],input[type=password],input[type=number],input[type=date],input[type=search],select,textarea{
font:inherit;padding:.45rem .6rem;border:1px solid #8c959f;border-radius:6px;background:#fff;color:var(--fg);width:100%;max-width:28rem}
textarea{min-height:8rem;font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9rem}
input[aria-invalid=true]{border-color:var(--bad)}.field-error{color:var(--bad);font-size:.9rem;margin:.2rem 0 0}
button,.button{display:inline-block;font:inherit;font-weight:600;padding:.45rem 1rem;border-radius:6px;border:1px solid var(--accent);
background:var(--accent);color:var(--accent-fg);cursor:pointer;text-decoration:none}
button.secondary,.button.secondary{background:#fff;color:var(--accent)}button.danger{background:var(--bad);border-color:var(--bad)}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;margin:.75rem 0}.actions form{margin:0}
table{border-collapse:collapse;width:100%;background:var(--card)}
th,td{text-align:left;padding:.45rem .6rem;border-bottom:1px solid var(--line);vertical-align:top}th{font-size:.85rem;color:var(--muted);font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.table-wrap{overflow-x:auto;border:1px solid var(--line);border-radius:8px}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9em;word-break:break-all}
dl.attrs{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem;margin:0}dl.attrs dt{color:var(--muted)}dl.attrs dd{margin:0;word-break:break-word}
.muted{color:var(--muted)}
@media (max-width:720px){
.top{padding:.5rem .75rem}.who{margin-left:0;width:100%}main{padding:.75rem .75rem 2rem}
dl.attrs{grid-template-columns:1fr}dl.attrs dd{margin-bottom:.4rem}
table.stack thead{position:absolute;left:-9999px}table.stack tr{display:block;border-bottom:1px solid var(--line);padding:.4rem 0}
table.stack td{display:flex;justify-content:space-between;gap:1rem;border:0;padding:.15rem .6rem}
table.stack td::before{content:attr(data-label);color:var(--muted);font-weight:600}
}
`;
