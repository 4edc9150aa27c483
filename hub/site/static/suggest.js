// 信用舞钢: offer matching enterprises while typing. The form works without this script;
// the server renders the suggestions (escaped) and this only places them under the box.
(function () {
  "use strict";
  var input = document.getElementById("q");
  var box = document.getElementById("suggestions");
  if (!input || !box || !window.fetch) {
    return;
  }
  var timer = null;
  var latest = 0;
  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      var text = input.value.trim();
      var ticket = ++latest;
      if (text.length < 2) {
        box.innerHTML = "";
        return;
      }
      fetch("/search/suggest?q=" + encodeURIComponent(text), { headers: { Accept: "text/html" } })
        .then(function (response) { return response.ok ? response.text() : ""; })
        .then(function (html) {
          if (ticket === latest) {  // an older, slower answer must not replace a newer one
            box.innerHTML = html;
          }
        })
        .catch(function () { box.innerHTML = ""; });
    }, 250);
  });
})();
