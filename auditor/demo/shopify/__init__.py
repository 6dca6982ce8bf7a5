"""Shopify in the demo: the fictional company's shop and the Admin GraphQL emulator that serves it."""

from auditor.demo.platforms import register
from auditor.demo.shopify.company import build
from auditor.demo.shopify.emulator import create_emulator

register("shopify", order=7, build=build, create_emulator=create_emulator)
