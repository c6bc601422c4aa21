// Progressive enhancement: print buttons stay hidden until a script can make them work;
// without scripts the browser's own print menu still prints the page.
(function () {
  "use strict";
  document.querySelectorAll("button[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
