"""Generated content: résumés (JSON and PDF), social posts, learning paths, tags and offer or
event drafts. Each is written by the language model when one is configured, by templates
otherwise, validated against its schema and logged in `generations`."""
