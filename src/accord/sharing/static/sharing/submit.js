// The share page's upload: the bar shows the upload's progress (htmx reports it); once the file
// is sent it says "processing" until the server answers with the submission, whose own status
// and progress the page then polls. The button stays disabled from the moment the file is sent
// until the page moves on; a refused upload (400) shows its errors and frees the button again.
(function () {
  const form = document.getElementById("upload-form");
  const bar = document.getElementById("upload-progress");
  const state = document.getElementById("upload-state");
  const button = document.getElementById("upload-button");

  function say(text) {
    state.hidden = false;
    state.textContent = text;
  }

  form.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt !== form) return;
    button.disabled = true;
    say("Uploading…");
  });

  form.addEventListener("htmx:xhr:progress", function (event) {
    bar.hidden = false;
    const done = event.detail.total ? event.detail.loaded / event.detail.total : 0;
    bar.value = done * 100;
    if (event.detail.total && event.detail.loaded >= event.detail.total) {
      bar.removeAttribute("value"); // indeterminate until the submission's own progress arrives
      say("File sent: processing…");
    }
  });

  // Form errors come back as a 400: show them (htmx leaves error responses unswapped).
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.elt === form && event.detail.xhr.status === 400) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  form.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.elt !== form) return;
    if (!event.detail.successful || event.detail.xhr.status >= 400) {
      button.disabled = false;
      bar.hidden = true;
      state.hidden = true;
      return;
    }
    if (document.querySelector("[data-testid=upload-running]")) {
      bar.hidden = true; // the submission's own bar takes over
      say("File sent: processing…");
    }
  });
})();
