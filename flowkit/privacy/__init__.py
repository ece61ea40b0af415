"""Privacy on by default: free text masked, customer ids pseudonymised, in every output."""

from flowkit.privacy.masking import PHONE_REGIONS, mask_pii, mask_text, snils_is_valid
from flowkit.privacy.pseudonyms import KEY_FILE, Privacy, folder_key, is_pseudonymised, privacy_for, pseudonymise

__all__ = [
    "KEY_FILE",
    "PHONE_REGIONS",
    "Privacy",
    "folder_key",
    "is_pseudonymised",
    "mask_pii",
    "mask_text",
    "privacy_for",
    "pseudonymise",
    "snils_is_valid",
]
