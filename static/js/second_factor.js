// A passkey just added shows in the list: reload the page once the ceremony is complete.
document.addEventListener("otp_webauthn.register_complete", function () {
  window.location.reload();
});
