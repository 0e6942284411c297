"""Every rule of `sopkit check`, registered by importing its family's module."""

from sopkit.rules import content, flow, load, references, suppressions, translations
from sopkit.rules.registry import RULES, Repository, Rule, Scope, SopContext

__all__ = [
    "RULES",
    "Repository",
    "Rule",
    "Scope",
    "SopContext",
    "content",
    "flow",
    "load",
    "references",
    "suppressions",
    "translations",
]
