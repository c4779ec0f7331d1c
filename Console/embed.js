// The one line a tenant puts on its site:
//   <script src="https://support.example.com/embed.js" data-tenant="acme" data-token="<widget token>" defer></script>
// It adds a chat button that opens Docket's customer chat in a frame. The token is made by the
// tenant's server (HS256 with its widget secret, see the README) for the signed-in customer.
(function () {
  const script = document.currentScript;
  if (!script) return;
  const origin = new URL(script.src).origin;
  const tenant = script.dataset.tenant || 'default';
  const token = script.dataset.token || '';
  const label = script.dataset.label || 'Chat';
  // The chat speaks the site's language until it knows the tenant's (and if it cannot open).
  const lang = script.dataset.lang || document.documentElement.lang || '';
  const button = document.createElement('button');
  button.type = 'button';
  button.textContent = label;
  button.setAttribute('aria-expanded', 'false');
  button.style.cssText = 'position:fixed;right:16px;bottom:16px;z-index:2147483000;padding:12px 18px;border-radius:24px;border:0;background:#1f5f8b;color:#fff;font:600 15px system-ui,sans-serif;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.2)';
  let frame = null;
  button.addEventListener('click', () => {
    if (!frame) {
      frame = document.createElement('iframe');
      frame.title = label;
      frame.src = `${origin}/chat#tenant=${encodeURIComponent(tenant)}&token=${encodeURIComponent(token)}&lang=${encodeURIComponent(lang)}`;
      frame.style.cssText = 'position:fixed;right:16px;bottom:72px;z-index:2147483000;width:min(380px,calc(100vw - 32px));height:min(560px,calc(100vh - 96px));border:1px solid #ccd;border-radius:12px;background:#fff;box-shadow:0 8px 30px rgba(0,0,0,.25)';
      document.body.appendChild(frame);
    } else frame.hidden = !frame.hidden;
    button.setAttribute('aria-expanded', String(!frame.hidden));
  });
  document.body.appendChild(button);
})();
