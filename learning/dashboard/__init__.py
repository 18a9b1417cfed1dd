"""My portal: the participant's dashboard."""
