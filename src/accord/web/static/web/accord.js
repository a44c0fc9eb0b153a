// Accord's one small script (no framework; loaded from our own static files, so the
// Content-Security-Policy allows it): the phone menu's button and the copy buttons.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.addEventListener("DOMContentLoaded", function () {
    var header = document.querySelector("header.top");
    var toggle = document.querySelector(".menu-toggle");
    if (header && toggle) {
      toggle.addEventListener("click", function () {
        var open = header.classList.toggle("open");
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
      });
      document.addEventListener("keydown", function (event) {
        if (event.key === "Escape" && header.classList.contains("open")) {
          header.classList.remove("open");
          toggle.setAttribute("aria-expanded", "false");
          toggle.focus();
        }
      });
    }
    document.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        var source = document.querySelector(button.getAttribute("data-copy"));
        if (!source) { return; }
        var text = source.textContent.trim();
        var done = function () {
          button.classList.add("done");
          button.textContent = "Copied";
          window.setTimeout(function () { button.classList.remove("done"); button.textContent = "Copy"; }, 2000);
        };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(text).then(done);
        } else {
          var range = document.createRange();
          range.selectNodeContents(source);
          var selection = window.getSelection();
          selection.removeAllRanges();
          selection.addRange(range);
          document.execCommand("copy");
          done();
        }
      });
    });
    // A table wider than the screen scrolls inside its own box: the keyboard must reach it too.
    var scrollables = function () {
      document.querySelectorAll("main table, main .scroll").forEach(function (box) {
        if (box.scrollWidth > box.clientWidth + 1) {
          box.setAttribute("tabindex", "0");
        } else if (box.getAttribute("tabindex") === "0") {
          box.removeAttribute("tabindex");
        }
      });
    };
    scrollables();
    window.addEventListener("resize", scrollables);
    // A long filter form folds away on a phone until asked for.
    if (window.matchMedia("(max-width: 760px)").matches) {
      document.querySelectorAll("details.filters-fold").forEach(function (details) {
        if (!details.hasAttribute("data-active")) { details.removeAttribute("open"); }
      });
    }
  });
})();
