"""Presentation: the HTML report and the text the CLI prints. Nothing here decides anything."""
