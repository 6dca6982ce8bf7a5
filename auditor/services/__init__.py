"""Use-cases called by every edge (CLI, scheduler, web views, webhooks): scan, findings, people, demo."""
