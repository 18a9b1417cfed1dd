"""The user, participants and sign-in: the user model, participant creation and invitations, the rate-limited
sign-in and password reset."""
