// The dashboard's only script: confirm dialogs on forms with data-confirm, and a page that asks
// for it (<meta name="hub-refresh" content="SECONDS">, e.g. a running snapshot) reloads itself.
document.addEventListener("submit", function (event) {
  var question = event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) event.preventDefault();
});
(function () {
  var meta = document.querySelector('meta[name="hub-refresh"]');
  var seconds = meta ? parseInt(meta.content, 10) : 0;
  if (seconds > 0) setTimeout(function () { if (!document.hidden) location.reload(); }, seconds * 1000);
})();
