"""WooCommerce in the demo: the fictional company's WordPress shop and the REST API emulator that serves it."""

from auditor.demo.platforms import register
from auditor.demo.woocommerce.company import build, with_secrets
from auditor.demo.woocommerce.emulator import create_emulator

register("woocommerce", order=8, build=build, create_emulator=create_emulator, with_secrets=with_secrets)
