"""What other SOPs need of a file that is not being checked: its id, calls and related.

The files of the source folder are read only to resolve ids; building their
whole model would cost a pre-commit run more than the file it checks.
"""

from __future__ import annotations

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from sopkit.model import Ref, SopRefs
from sopkit.yamlnodes import loc_of


def refs_only(root: Node | None, path: str) -> SopRefs | None:
    """What other SOPs need of a file that is not being checked: its id, calls and related.

    The files of the source folder are read only to resolve ids; building their
    whole model would cost a pre-commit run more than the file it checks.
    """
    if not isinstance(root, MappingNode):
        return None
    top = {str(k.value): v for k, v in root.value if isinstance(k, ScalarNode)}
    sop_id = top.get("id")
    if not isinstance(sop_id, ScalarNode):
        return None

    def ref(node: Node) -> Ref | None:
        return Ref(str(node.value), loc_of(node)) if isinstance(node, ScalarNode) else None

    calls = []
    steps = top.get("steps")
    for item in steps.value if isinstance(steps, SequenceNode) else []:
        if isinstance(item, MappingNode):
            for key, value in item.value:
                if isinstance(key, ScalarNode) and key.value == "sop" and ref(value):
                    calls.append(ref(value))
    related = top.get("related")
    listed = [ref(v) for v in related.value] if isinstance(related, SequenceNode) else []
    return SopRefs(
        path, str(sop_id.value), loc_of(sop_id),
        tuple(c for c in calls if c), tuple(r for r in listed if r),
    )  # fmt: skip
