#ifndef SERVICEHALL_CRDKAFKA_SHIM_H
#define SERVICEHALL_CRDKAFKA_SHIM_H
#include <librdkafka/rdkafka.h>
#endif
