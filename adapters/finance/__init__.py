"""The exchange with the finance system, in its real formats.

- `instructions`: a payment instruction and a batch's header, each checked when made (SEPA rules);
- `iban`, `charset`: IBANs and BICs (schwifty; no elfproef), the SEPA character set;
- `pain001`: a payment batch as ISO 20022 pain.001.001.09, checked against the official XSD (`xsd`, `schemas/`);
- `fdc_csv`: the same batch as the plain CSV a financial service centre takes;
- `camt053`: incoming bank statements (camt.053.001.02 and .08) read into entries and returned payments;
- `settings`: the paying account from the process's settings.
"""
