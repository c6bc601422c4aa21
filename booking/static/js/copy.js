// Progressive enhancement: a copy button under each read-only address. Without scripts the
// address can still be selected and copied by hand.
(function () {
  "use strict";

  function copy(input, status) {
    input.focus();
    input.select();
    var done = function () { status.textContent = input.dataset.copied; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () {
        if (document.execCommand("copy")) { done(); }
      });
    } else if (document.execCommand("copy")) {
      done();
    }
  }

  document.querySelectorAll("input[data-copy-label]").forEach(function (input) {
    var button = document.createElement("button");
    var status = document.createElement("p");
    button.type = "button";
    button.className = "button button--secondary";
    button.textContent = input.dataset.copyLabel;
    status.setAttribute("role", "status");
    button.addEventListener("click", function () { copy(input, status); });
    input.addEventListener("focus", function () { input.select(); });
    input.insertAdjacentElement("afterend", status);
    input.insertAdjacentElement("afterend", button);
  });
})();
