// The scans page's progress panel: while a scan started from the web UI runs, poll its JSON progress every
// 2 s and show each platform's state; when it finishes, reload the page to show the stored scan with its diff.
// A static file (the CSP allows script-src 'self' only), no inline script, no library.
(function () {
  "use strict";
  var panel = document.getElementById("scan-progress");
  if (!panel || panel.getAttribute("data-running") !== "true") {
    return;
  }
  var url = panel.getAttribute("data-url");
  var list = document.getElementById("scan-progress-platforms");
  var step = document.getElementById("scan-progress-step");
  var count = document.getElementById("scan-progress-count");

  function render(data) {
    while (list.firstChild) {
      list.removeChild(list.firstChild);
    }
    data.platforms.forEach(function (p) {
      var item = document.createElement("li");
      item.className = "progress-" + p.state.replace(/ /g, "-");
      item.setAttribute("data-platform", p.platform);
      item.appendChild(document.createTextNode(p.platform + ": "));
      var state = document.createElement("strong");
      state.textContent = p.state;
      item.appendChild(state);
      if (p.detail) {
        item.appendChild(document.createTextNode(" – " + p.detail));
      }
      list.appendChild(item);
    });
    step.textContent = data.step;
    count.textContent = data.platforms_done + " of " + data.platforms.length + " platform(s) read";
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (answer) {
        if (!answer.ok) {
          throw new Error("HTTP " + answer.status);
        }
        return answer.json();
      })
      .then(function (data) {
        render(data);
        if (data.running) {
          window.setTimeout(poll, 2000);
        } else {
          window.location.reload();
        }
      })
      .catch(function () {
        step.textContent = "Progress unavailable; reload the page to see the scan.";
      });
  }

  window.setTimeout(poll, 2000);
})();
