/* The RAM a configuration costs: the size of each object a firmware declares. Compiled per configuration by
   size-report.sh (for the host, and with -S for the Cortex-M4, whose sizes are read from the assembly). */
#include "csa/csa_node.h"
#include "csa/csa_rpc_client.h"
#include "csa/csa_rpc_server.h"

#include <stddef.h>

const unsigned long csa_ram_node = sizeof(csa_node_t);
const unsigned long csa_ram_link_rx = sizeof(csa_frame_rx_t);
const unsigned long csa_ram_reassembly = sizeof(((csa_node_t *)0)->reassembly);
const unsigned long csa_ram_server = sizeof(csa_rpc_server_t);
const unsigned long csa_ram_cache = sizeof(((csa_rpc_server_t *)0)->cache);
const unsigned long csa_ram_client = sizeof(csa_rpc_client_t);
