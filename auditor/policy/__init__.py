"""Policies: rule files (YAML, one per rule), the fact vocabulary, the condition grammar and the evaluator.

``load_policies`` reads and compiles the rules; ``evaluate`` judges an ``EvaluationContext`` (snapshots,
people, account links, the scan's time) and returns failing and could-not-verify verdicts with evidence.
"""

from auditor.policy.engine import evaluate
from auditor.policy.facts import FACTS, RESOURCES, EvaluationContext, FactSpec, vocabulary
from auditor.policy.loader import load_policies, load_policy_file
from auditor.policy.schema import KNOWN_CONTROLS, Policy

__all__ = [
    "FACTS",
    "KNOWN_CONTROLS",
    "RESOURCES",
    "EvaluationContext",
    "FactSpec",
    "Policy",
    "evaluate",
    "load_policies",
    "load_policy_file",
    "vocabulary",
]
