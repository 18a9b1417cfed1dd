// The page of a certification import that is still running: asks the run's progress address every few seconds
// and moves the bar; once the run has finished, reloads the page, which then shows the report. Without
// JavaScript the page reloads itself instead (a meta refresh in <noscript>).
(function () {
  "use strict";
  var POLL_MILLISECONDS = 1500;
  var bar = document.querySelector("[data-import-progress]");
  if (!bar) {
    return;
  }
  var text = document.querySelector("[data-import-progress-text]");

  function show(run) {
    bar.value = run.percent;
    bar.textContent = run.percent + "%";
    if (text && text.textContent !== run.progress_text) {
      text.textContent = run.progress_text;
    }
  }

  function poll() {
    fetch(bar.dataset.importProgress, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (run) {
        if (run && run.finished) {
          window.location.reload();
          return;
        }
        if (run) {
          show(run);
        }
        window.setTimeout(poll, POLL_MILLISECONDS);
      })
      .catch(function () {
        // A poll lost to the network is tried again; the run goes on without the page.
        window.setTimeout(poll, POLL_MILLISECONDS);
      });
  }

  window.setTimeout(poll, POLL_MILLISECONDS);
})();
