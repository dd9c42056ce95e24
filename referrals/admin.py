# Referrals are not edited in the Django admin: the admin sees no case content (ROLES.md).
