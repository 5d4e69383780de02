package io.imgindex.format;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Types;

/**
 * Column helpers shared by the three tables: how strings, timestamps, lists and the metadata map are laid
 * out in Parquet, written and read back. The layouts are the standard ones (three-level LIST, MAP with
 * {@code key_value}) so that Spark, DuckDB and pyarrow read the files without help.
 */
final class Columns {

    static final String METADATA = "metadata";

    private Columns() {}

    static Type requiredString(String name) {
        return Types.required(PrimitiveTypeName.BINARY)
                .as(LogicalTypeAnnotation.stringType())
                .named(name);
    }

    static Type optionalString(String name) {
        return Types.optional(PrimitiveTypeName.BINARY)
                .as(LogicalTypeAnnotation.stringType())
                .named(name);
    }

    static Type requiredTimestampMillis(String name) {
        return Types.required(PrimitiveTypeName.INT64)
                .as(LogicalTypeAnnotation.timestampType(true, LogicalTypeAnnotation.TimeUnit.MILLIS))
                .named(name);
    }

    /** {@code required group <name> (MAP) { repeated group key_value { key; optional value } }}. */
    static Type metadataMap() {
        return Types.requiredMap()
                .key(PrimitiveTypeName.BINARY)
                .as(LogicalTypeAnnotation.stringType())
                .optionalValue(PrimitiveTypeName.BINARY)
                .as(LogicalTypeAnnotation.stringType())
                .named(METADATA);
    }

    static void writeString(RecordConsumer rc, String field, int index, String value) {
        rc.startField(field, index);
        rc.addBinary(Binary.fromString(value));
        rc.endField(field, index);
    }

    static void writeOptionalString(RecordConsumer rc, String field, int index, String value) {
        if (value != null) {
            writeString(rc, field, index, value);
        }
    }

    static void writeInt(RecordConsumer rc, String field, int index, int value) {
        rc.startField(field, index);
        rc.addInteger(value);
        rc.endField(field, index);
    }

    static void writeLong(RecordConsumer rc, String field, int index, long value) {
        rc.startField(field, index);
        rc.addLong(value);
        rc.endField(field, index);
    }

    static void writeFloat(RecordConsumer rc, String field, int index, float value) {
        rc.startField(field, index);
        rc.addFloat(value);
        rc.endField(field, index);
    }

    /** Writes a three-level LIST of required floats. */
    static void writeFloatList(RecordConsumer rc, String field, int index, float[] values) {
        rc.startField(field, index);
        rc.startGroup();
        if (values.length > 0) {
            rc.startField("list", 0);
            for (float v : values) {
                rc.startGroup();
                rc.startField("element", 0);
                rc.addFloat(v);
                rc.endField("element", 0);
                rc.endGroup();
            }
            rc.endField("list", 0);
        }
        rc.endGroup();
        rc.endField(field, index);
    }

    static void writeMetadata(RecordConsumer rc, int index, Map<String, String> metadata) {
        rc.startField(METADATA, index);
        rc.startGroup();
        if (!metadata.isEmpty()) {
            rc.startField("key_value", 0);
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                rc.startGroup();
                writeString(rc, "key", 0, e.getKey());
                writeOptionalString(rc, "value", 1, e.getValue());
                rc.endGroup();
            }
            rc.endField("key_value", 0);
        }
        rc.endGroup();
        rc.endField(METADATA, index);
    }

    static String readOptionalString(Group g, String field) {
        return g.getFieldRepetitionCount(field) == 0 ? null : g.getString(field, 0);
    }

    static float[] readFloatList(Group g, String field) {
        Group list = g.getGroup(field, 0);
        int n = list.getFieldRepetitionCount("list");
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = list.getGroup("list", i).getFloat("element", 0);
        }
        return values;
    }

    static Map<String, String> readMetadata(Group g) {
        Group map = g.getGroup(METADATA, 0);
        int n = map.getFieldRepetitionCount("key_value");
        if (n == 0) {
            return Map.of();
        }
        Map<String, String> out = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            Group kv = map.getGroup("key_value", i);
            out.put(kv.getString("key", 0), readOptionalString(kv, "value"));
        }
        return Collections.unmodifiableMap(out);
    }

    /** A sorted, unmodifiable copy: metadata is written in key order so that files are reproducible. */
    static Map<String, String> sortedCopy(Map<String, String> metadata) {
        if (metadata == null || metadata.isEmpty()) {
            return Map.of();
        }
        return Collections.unmodifiableMap(new TreeMap<>(metadata));
    }
}
