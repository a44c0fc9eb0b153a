// The share page's upload bar: htmx reports the upload's progress, the bar shows it.
document.getElementById("upload-form").addEventListener("htmx:xhr:progress", function (event) {
  const bar = document.getElementById("upload-progress");
  bar.hidden = false;
  bar.value = event.detail.total ? (event.detail.loaded / event.detail.total) * 100 : 0;
});
