import DocketCore
import DocketMemory
import DocketPacks
import DocketTestSupport
import Foundation

