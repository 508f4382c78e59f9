// multivector dashboard: small progressive touches; every page works without this file.
(function () {
  "use strict";
  // Filter selects marked data-autosubmit send their form when changed.
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el && el.matches && el.matches("[data-autosubmit]") && el.form) {
      el.form.requestSubmit ? el.form.requestSubmit() : el.form.submit();
    }
  });
  // Forms marked data-confirm ask first (withdrawing a correction).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
  // The report form reloads its preview without leaving the page.
  var reportForm = document.getElementById("report-form");
  var frame = document.getElementById("report-preview");
  if (reportForm && frame) {
    reportForm.addEventListener("change", function () {
      var query = new URLSearchParams(new FormData(reportForm)).toString();
      frame.src = "/report/view?" + query;
      document.querySelectorAll("a[data-download]").forEach(function (a) {
        a.href = "/report/download?format=" + a.getAttribute("data-download") + "&" + query;
      });
      history.replaceState(null, "", "/report?" + query);
    });
  }
})();
