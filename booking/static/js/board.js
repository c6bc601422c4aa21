// Progressive enhancement of the safety board: refresh the list in place every minute, so
// that the page keeps its scroll position. Without scripts a meta refresh does the same.
(function () {
  "use strict";
  var board = document.getElementById("board");
  var seconds = board ? parseInt(board.dataset.refresh, 10) : 0;
  if (!seconds) { return; }

  function refresh() {
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("board");
        if (fresh) { board.innerHTML = fresh.innerHTML; }
      })
      .catch(function () { /* try again at the next tick */ });
  }

  window.setInterval(refresh, seconds * 1000);
})();
