package io.imgindex.input;

import io.imgindex.imaging.input.UrlListParser;
import io.imgindex.item.Item;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.src.FileSourceSplit;
import org.apache.flink.connector.file.src.reader.BulkFormat;
import org.apache.flink.connector.file.src.util.CheckpointedPosition;
import org.apache.flink.connector.file.src.util.IteratorResultIterator;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.Path;

/**
 * A {@link org.apache.flink.connector.file.src.FileSource} format that reads URL lists (text, CSV, JSONL,
 * optionally gzipped) from any Flink file system into {@link Item}s, through {@link UrlListParser}.
 *
 * <p>Files are not split: a CSV header and relative URLs need the whole file and its path. The reader's
 * checkpointed position is the number of items emitted from the file, so a restored reader re-parses and
 * skips them.
 */
public final class UrlListFormat implements BulkFormat<Item, FileSourceSplit> {

    private static final long serialVersionUID = 1L;
    private static final int BATCH = 256;

    @Override
    public Reader<Item> createReader(Configuration config, FileSourceSplit split) throws IOException {
        return new ListReader(split, 0);
    }

    @Override
    public Reader<Item> restoreReader(Configuration config, FileSourceSplit split) throws IOException {
        long emitted = split.getReaderPosition()
                .map(CheckpointedPosition::getRecordsAfterOffset)
                .orElse(0L);
        return new ListReader(split, emitted);
    }

    @Override
    public boolean isSplittable() {
        return false;
    }

    @Override
    public TypeInformation<Item> getProducedType() {
        return TypeInformation.of(Item.class);
    }

    private static final class ListReader implements Reader<Item> {
        private final FSDataInputStream stream;
        private final UrlListParser parser;
        private long emitted;

        ListReader(FileSourceSplit split, long alreadyEmitted) throws IOException {
            Path path = split.path();
            this.stream = path.getFileSystem().open(path);
            InputStream in = path.getName().toLowerCase(Locale.ROOT).endsWith(".gz")
                    ? new GZIPInputStream(stream, 1 << 16)
                    : stream;
            this.parser = new UrlListParser(
                    new InputStreamReader(in, StandardCharsets.UTF_8),
                    path.toUri(),
                    path.toString(),
                    UrlListParser.Format.ofFileName(path.getName()));
            for (long i = 0; i < alreadyEmitted && parser.hasNext(); i++) {
                parser.next();
            }
            this.emitted = alreadyEmitted;
        }

        @Override
        public RecordIterator<Item> readBatch() {
            if (!parser.hasNext()) {
                return null;
            }
            List<Item> batch = new ArrayList<>(BATCH);
            while (batch.size() < BATCH && parser.hasNext()) {
                batch.add(Item.of(parser.next()));
            }
            long before = emitted;
            emitted += batch.size();
            return new IteratorResultIterator<>(batch.iterator(), CheckpointedPosition.NO_OFFSET, before);
        }

        @Override
        public void close() throws IOException {
            stream.close();
        }
    }
}
