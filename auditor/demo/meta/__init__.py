"""Meta in the demo: the fictional company's business (generated with its people) and the Graph API emulator."""

from auditor.demo.meta.company import KIND, MetaTenant
from auditor.demo.meta.secrets import with_secrets
from auditor.demo.meta.writes import create_emulator
from auditor.demo.platforms import register

register(KIND, order=0, with_people=MetaTenant, create_emulator=create_emulator, with_secrets=with_secrets)
