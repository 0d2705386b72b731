"""The referral pages: thin views over ``referrals.selectors`` (reads) and
``referrals.services`` (writes).

The service directory (browse, search, add, edit, import and export HSDS),
sending a referral from a case, the referral page with its actions, messages
and timeline, the packet a partner reads and the inbox.
NotFound and Forbidden pass through to the 404 and 403 pages; any other
domain or validation error is shown on the form, next to the field it names.
"""
