// "Copy link" beside a share field. Without this script (or without the Clipboard API) the
// button stays hidden and the link is still there to select and copy by hand.
document.addEventListener("DOMContentLoaded", () => {
  if (!navigator.clipboard) return;
  for (const button of document.querySelectorAll("button[data-copy]")) {
    const field = document.getElementById(button.dataset.copy);
    const status = document.querySelector(`[data-copy-status="${button.dataset.copy}"]`);
    if (!field) continue;
    button.hidden = false;
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(field.value);
        if (status) status.textContent = "Link copied. Paste it wherever you share it.";
      } catch {
        field.focus();
        field.select();
        if (status) status.textContent = "Copying was not allowed: the link is selected, copy it with Ctrl+C (⌘C on a Mac).";
      }
    });
  }
});
