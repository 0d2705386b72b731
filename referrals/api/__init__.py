"""The referrals REST API (DESIGN §4, §6): the service directory with its
HSDS import and export, referrals with their check, packet, conversation and
lifecycle actions. Thin views over ``referrals.selectors`` and
``referrals.services``; routes in ``referrals.api_urls``."""
