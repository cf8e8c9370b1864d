"""Command-line adapter: parse options, call the app, format output."""
