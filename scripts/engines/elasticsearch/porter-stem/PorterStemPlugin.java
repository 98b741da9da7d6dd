package org.medradar.devnode;

import java.util.List;
import org.apache.lucene.analysis.en.PorterStemFilter;
import org.elasticsearch.index.analysis.PreConfiguredTokenFilter;
import org.elasticsearch.plugins.AnalysisPlugin;
import org.elasticsearch.plugins.Plugin;

/**
 * The {@code porter_stem} token filter, registered exactly as Elasticsearch's analysis-common
 * module registers it (Lucene's PorterStemFilter). analysis-common is part of every
 * Elasticsearch distribution but is not published on Maven Central, so the core-only
 * development node would otherwise have no English stemming at all.
 */
public class PorterStemPlugin extends Plugin implements AnalysisPlugin {
    @Override
    public List<PreConfiguredTokenFilter> getPreConfiguredTokenFilters() {
        return List.of(PreConfiguredTokenFilter.singleton("porter_stem", false, PorterStemFilter::new));
    }
}
