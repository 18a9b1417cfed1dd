"""The register of certifications: issuing, renewing and revoking, the CSV import, the card, and the admin screens."""
