# The organizers' pages' message catalogs (Flask-Babel): .po files are in git, .mo files are built here.
# Included by the top-level Makefile; `make install` compiles them.
I18N_DIR := webhooks/translations
I18N_PO := $(wildcard $(I18N_DIR)/*/LC_MESSAGES/messages.po)
I18N_MO := $(I18N_PO:.po=.mo)

.PHONY: translations i18n-update
install: $(I18N_MO)

translations: $(I18N_MO) ## compile the pages' message catalogs (.po -> .mo)

$(I18N_DIR)/%/LC_MESSAGES/messages.mo: $(I18N_DIR)/%/LC_MESSAGES/messages.po $(VENV)/.installed
	$(VENV)/bin/pybabel -q compile -i $< -o $@ -l $*

## i18n-update: extract the pages' strings into messages.pot and merge them into every catalog
i18n-update: $(VENV)/.installed
	mkdir -p .tmp
	$(VENV)/bin/pybabel -q extract -F babel.cfg -k _l -o .tmp/messages.pot --no-location --omit-header .
	$(VENV)/bin/pybabel -q update -i .tmp/messages.pot -d $(I18N_DIR) --no-fuzzy-matching
