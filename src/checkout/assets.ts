/**
 * The payment page's stylesheet and script, served from this server (no CDN,
 * no inline code: the Content-Security-Policy allows 'self' only). The page
 * works without the script; the script adds the countdown and live status.
 */
export const CHECKOUT_CSS = `
*,*::before,*::after{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"PingFang SC","Microsoft YaHei",sans-serif;color:#1a1a1a;background:#f3f4f6}
main{max-width:26rem;margin:0 auto;padding:1rem}
.card{background:#fff;border-radius:12px;box-shadow:0 1px 3px rgba(0,0,0,.12);padding:1.25rem;margin-bottom:1rem}
header{display:flex;justify-content:space-between;align-items:center;margin-bottom:.5rem}
h1{font-size:1.1rem;margin:0}
.lang{font-size:.9rem;color:#1d4ed8}
.amount{font-size:2rem;font-weight:700;margin:.25rem 0}
.muted{color:#4b5563;font-size:.9rem}
.qr{display:flex;justify-content:center;margin:1rem 0}
.qr svg{width:min(16rem,70vw);height:auto;border:1px solid #e5e7eb;border-radius:8px;padding:.5rem;background:#fff}
.status{font-weight:600;text-align:center}
.status[data-state=succeeded]{color:#047857}.status[data-state=failed]{color:#b91c1c}
.countdown{text-align:center;font-variant-numeric:tabular-nums}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}
input{width:100%;font:inherit;padding:.6rem .7rem;border:1px solid #6b7280;border-radius:8px}
input:focus,button:focus,a:focus{outline:3px solid #2563eb;outline-offset:2px}
input[aria-invalid=true]{border-color:#b91c1c}
.error{color:#b91c1c;font-size:.9rem;margin:.25rem 0 0}
.row{display:flex;gap:.75rem}.row>div{flex:1}
button,.button{display:block;width:100%;margin-top:1rem;padding:.8rem;font:inherit;font-weight:700;border:0;border-radius:8px;background:#1d4ed8;color:#fff;cursor:pointer;text-align:center;text-decoration:none}
button.secondary{background:#374151}
.sandbox{border:2px dashed #d97706}
.app-link{display:flex;flex-direction:column;gap:.4rem;margin:.75rem 0 0}
@media (min-width:768px){.app-link{display:none}}
.decline{color:#991b1b;background:#fef2f2;border:1px solid #fecaca;border-radius:8px;padding:.5rem .75rem;margin:0 0 .75rem;font-size:.95rem}.decline p{margin:.2rem 0}
.test-cards{margin:.25rem 0 .5rem;padding-left:1.2rem}.test-cards code{user-select:all}
.sandbox h2{font-size:1rem;margin:0 0 .5rem;color:#92400e}
.sandbox form{display:inline}
footer{text-align:center;color:#4b5563;font-size:.8rem}
.brand-head{flex-wrap:wrap;gap:.5rem}
.brand-head .logo{max-height:3rem;max-width:10rem;width:auto;height:auto}
.brand-head h1{flex:1}
.brand-line{margin:0 0 .75rem;font-size:.95rem}
.brand-foot ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;justify-content:center;gap:.25rem 1rem}
.brand-foot p{margin:.4rem 0}
.brand-foot a{text-decoration:underline}
.sandbox button{background:#1d4ed8;color:#fff;border-radius:8px}
.sandbox button.secondary{background:#374151}
`;

export const CHECKOUT_JS = `
(function () {
  var root = document.querySelector('[data-q]');
  if (!root) return;
  var q = root.getAttribute('data-q');
  var expiresAt = Number(root.getAttribute('data-expires-at'));
  var countdown = document.querySelector('[data-countdown]');
  var status = document.querySelector('[data-status]');
  // The status message (and the result page's language) follow the page's language, not only the browser's.
  var lang = (document.documentElement.getAttribute('lang') || '').indexOf('zh') === 0 ? 'zh' : 'en';
  function pad(n) { return n < 10 ? '0' + n : String(n); }
  function tick() {
    if (!countdown || !expiresAt) return;
    var left = Math.max(0, Math.round((expiresAt - Date.now()) / 1000));
    countdown.textContent = pad(Math.floor(left / 60)) + ':' + pad(left % 60);
  }
  function poll() {
    fetch('/chop/landing/status?q=' + encodeURIComponent(q) + '&lang=' + lang, { headers: { Accept: 'application/json' }, cache: 'no-store' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (!s) return;
        if (s.redirect) { window.location.replace(s.redirect); return; }
        if (s.qr_ready && !document.querySelector('[data-qr]')) { window.location.reload(); return; }
        if (status && s.message) { status.textContent = s.message; status.setAttribute('data-state', s.state); }
      })
      .catch(function () {})
      .then(function () { setTimeout(poll, 1500); });
  }
  tick(); setInterval(tick, 1000);
  if (root.getAttribute('data-poll') === 'yes') setTimeout(poll, 1000);
})();
`;
