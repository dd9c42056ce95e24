# Notifications are not edited in the admin: they may name a case (the admin sees no case content).
