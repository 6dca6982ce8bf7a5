"""Access-review campaigns: managers and asset owners certify who keeps which access, and the next scan
proves the revocations (tables, queries, use cases, follow-through, reminders, evidence)."""
