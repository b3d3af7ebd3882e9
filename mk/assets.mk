# Front-end libraries come from the npm registry (package-lock.json) and are served by the app from
# webhooks/static/vendor, so the organizers' pages work offline and on slow links. No CDN.

$(VENDOR)/.built: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/leaflet/images $(VENDOR)/chart.js
	cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css $(VENDOR)/leaflet/
	cp node_modules/leaflet/dist/images/*.png $(VENDOR)/leaflet/images/
	cp node_modules/leaflet/LICENSE $(VENDOR)/leaflet/
	cp node_modules/chart.js/dist/chart.umd.min.js node_modules/chart.js/LICENSE.md $(VENDOR)/chart.js/
	touch $@

.PHONY: assets
assets: $(VENDOR)/.built ## fetch Leaflet and Chart.js from npm into webhooks/static/vendor
